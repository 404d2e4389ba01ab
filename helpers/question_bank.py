"""The concept-check questions of the chapters, by key (see :mod:`helpers.questions`).

Each is asked before the cell that answers it. A choice is ``(text, reply)``: the reply to a wrong
choice says why it is tempting and where it goes wrong, so that it teaches rather than scolds.
"""

BANK: dict[str, dict] = {
    # chapter 0
    "raw-sum-size": dict(
        text="A hidden unit sums 784 raw pixels (0 to 255) times weights drawn between -0.5 and 0.5. "
        "About how large is that sum for a typical digit?",
        choices=(
            (
                "below 1",
                "That would be true of pixels scaled to [0, 1] times small weights; raw bytes are up to 255.",
            ),
            ("around 10", "Closer, but about 100 pixels carry ink, each worth up to 255."),
            ("in the hundreds or more", ""),
            (
                "exactly 0, since the weights average to 0",
                "They average to 0 over many draws, but one unit's sum of 784 "
                "random terms spreads far from 0.",
            ),
        ),
        answer=2,
        why="About a hundred inked pixels of up to 255 each, times weights of a few tenths: sums in the "
        "hundreds, which is what the next cell measures.",
    ),
    "x-shape": dict(
        text="The course stores 60,000 images as X with one column per image. What shape is X?",
        choices=(
            ("(60000, 784)", "That is the file's layout, one row per image: the transpose of X."),
            ("(784, 60000)", ""),
            (
                "(28, 28, 60000)",
                "Each image is flattened to one column of 784 numbers before it meets the network.",
            ),
        ),
        answer=1,
        why="784 rows, one per pixel, and one column per image, so that W1 X works with W1 of shape (10, "
        "784).",
    ),
    # chapter 1
    "z1-shape": dict(
        text="W1 is (10, 784), X is (784, m) and b1 is (10, 1). What shape is Z1 = W1 X + b1?",
        choices=(
            ("(10, 784)", "That is W1's shape; the product with X keeps W1's rows and X's columns."),
            ("(10, m)", ""),
            ("(784, m)", "That is X's shape; W1 maps 784 pixels to 10 hidden units."),
            ("(10, 1)", "That is b1's shape; it is broadcast across the m columns."),
        ),
        answer=1,
        why="A product keeps the rows of the left factor and the columns of the right one: 10 units, m "
        "images; "
        "b1 is added to every column.",
    ),
    "no-relu": dict(
        text="Drop the ReLU: A2 = softmax(W2 (W1 X + b1) + b2). What can this network represent?",
        choices=(
            (
                "more than with ReLU: nothing is thrown away",
                "ReLU's zeros are what let the network bend; without them the two layers multiply out.",
            ),
            ("the same as one linear layer with softmax", ""),
            (
                "nothing useful: it cannot learn at all",
                "It can learn, about as well as a single linear layer.",
            ),
        ),
        answer=1,
        why="W2 (W1 X + b1) + b2 = (W2 W1) X + (W2 b1 + b2): one weight matrix and one bias. The next cells "
        "show it in numbers.",
    ),
    # chapter 2
    "softmax-overflow": dict(
        text="In float64, what does exp(z) / sum(exp(z)) give for the logits z = [1000, 0]?",
        choices=(
            (
                "[1, 0]",
                "That is the right answer mathematically, but exp(1000) is beyond the largest float64.",
            ),
            ("[0.5, 0.5]", "The logits are far apart, so one probability should be near 1."),
            ("nan in the first entry (inf / inf)", ""),
        ),
        answer=2,
        why="exp(1000) overflows to inf, and inf / inf is nan. Subtracting the largest logit first avoids it "
        "without changing the result.",
    ),
    "uniform-loss": dict(
        text="A network gives every digit probability 1/10 for every image. What is its cross-entropy loss? "
        "(a number, two decimals)",
        answer=2.302585,
        tolerance=0.01,
        why="-log(1/10) = ln 10 ≈ 2.30 for every image, so the mean is 2.30: the loss of a uniform guess, a "
        "number you will meet again in chapters 4 and 5.",
    ),
    # chapter 3
    "db2-shape": dict(
        text="dZ2 is (10, m). db2 is the mean of dZ2 over the examples. What shape is db2?",
        choices=(
            ("(10, 1)", ""),
            (
                "(10,)",
                "Those are the right numbers, but a 1-D array broadcasts along the wrong axis when it meets "
                "b2 (10, 1): keep the column with keepdims=True.",
            ),
            ("(1, m)", "That averages over the ten units, not over the examples."),
            (
                "a single number",
                "That averages over everything; each of the ten biases needs its own gradient.",
            ),
        ),
        answer=0,
        why="One number per output unit, in a column like b2 itself: np.mean(dZ2, axis=1, keepdims=True).",
    ),
    "zero-init": dict(
        text="Every weight and bias starts at exactly 0. What happens in training?",
        choices=(
            (
                "it trains normally, only more slowly",
                "Look at the hidden units: they all compute the same thing.",
            ),
            ("the hidden units stay identical to each other for ever", ""),
            ("the loss is nan at once", "Nothing overflows: every probability starts at 1/10."),
        ),
        answer=1,
        why="All hidden units compute the same output and get the same gradient, so every step keeps them "
        "equal: ten copies of one unit. Random starts break the symmetry; section 8 shows it.",
    ),
    # chapter 4
    "one-step": dict(
        text="Gradient descent on L(w) = (w - 3)^2 from w = 0 with alpha = 0.45. Where is w after one step?",
        answer=2.7,
        tolerance=1e-6,
        why="The gradient at 0 is 2 (0 - 3) = -6, so w = 0 - 0.45 (-6) = 2.7: the distance to 3 shrank by "
        "the factor 1 - 2 alpha = 0.1.",
    ),
    "raw-pixels": dict(
        text="The same network and alpha = 0.1, but on raw pixels 0 to 255 instead of [0, 1]. What do you "
        "expect?",
        choices=(
            (
                "the same training, only the weights end 255 times smaller",
                "That would need the weights to start "
                "255 times smaller too; the first steps see sums hundreds of times too large.",
            ),
            ("huge first gradients, hidden units switched off for good, the loss stuck near ln 10", ""),
            (
                "faster training: larger inputs, larger steps",
                "Larger steps overshoot: the learning rate was tuned for inputs of order one.",
            ),
        ),
        answer=1,
        why="Sums in the hundreds make the softmax certain and wrong, the gradients explode, one step pushes "
        "most ReLU units below zero for every image, and there they get no gradient again.",
    ),
    # chapter 5
    "wide-var-z2": dict(
        text="512 hidden units, weights uniform in [-0.5, 0.5). Compared with Var(Z1), is Var(Z2) ...",
        choices=(
            (
                "about the same",
                "That is what He's rule arranges; the uniform weights ignore how many inputs each unit sums.",
            ),
            ("much larger", ""),
            (
                "much smaller",
                "Each output sums 512 products, each with weights of variance 1/12: the terms add up.",
            ),
        ),
        answer=1,
        why="Var(Z2) is about 512 × (1/12) × E[A1²]: hundreds of times Var(A1). The next cell measures it at "
        "10 and at 512 units.",
    ),
    "momentum-sum": dict(
        text="With momentum beta = 0.9, the velocity V := beta V + dP adds up about how many recent "
        "gradients? "
        "(a number)",
        answer=10,
        tolerance=0.05,
        why="1 + 0.9 + 0.81 + ... = 1 / (1 - 0.9) = 10: so alpha = 0.02 with momentum moves about as far as "
        "alpha = 0.2 without.",
    ),
    # chapter 6
    "cm-symmetric": dict(
        text="Is the confusion matrix symmetric: is C[4, 9] (4s read as 9s) always equal to C[9, 4] (9s read "
        "as 4s)?",
        choices=(
            (
                "yes: a 4 and a 9 are confused with each other",
                "The two counts are different mistakes: the network "
                "may take 4s for 9s often and 9s for 4s rarely.",
            ),
            ("no: the two cells count different mistakes", ""),
            (
                "only for a network that makes no mistakes",
                "Then both are 0, and so is every off-diagonal cell; "
                "but a symmetric table needs no perfect network, and an imperfect one is rarely symmetric.",
            ),
        ),
        answer=1,
        why="Rows are the true digits and columns the predictions, so C[4, 9] and C[9, 4] are counted "
        "apart; the "
        "cell below prints both for this run.",
    ),
    "never-inked": dict(
        text="Which weights of W1 does training never change?",
        choices=(
            (
                "none: every weight gets a gradient",
                "Look at dW1 = dZ1 X^T / m: a pixel that is 0 in every image gives a column of zeros.",
            ),
            ("those of pixels that are 0 in every training image", ""),
            (
                "those of the units that are right most often",
                "Right or wrong, every active unit gets a gradient for every inked pixel.",
            ),
        ),
        answer=1,
        why="Their column of X is all zeros, so their column of dW1 is too: they keep their random start. "
        "The next pictures show where they are.",
    ),
    # chapter 7
    "gather-layout": dict(
        text="A mini-batch gathers 64 random columns of X (784 × 59,000). In which memory order is that "
        "cheaper?",
        choices=(
            (
                "C order (row by row)",
                "Then one column's 784 pixels lie 59,000 numbers apart: 784 scattered reads.",
            ),
            ("Fortran order (column by column)", ""),
            (
                "it makes no difference",
                "Memory is read in blocks; neighbours come for free, scattered numbers do not.",
            ),
        ),
        answer=1,
        why="In Fortran order each image's 784 pixels lie side by side, so a column is one contiguous copy.",
    ),
    "busy-threads": dict(
        text="Another program keeps one of two cores busy. For the wide network's product (128 × 784 by "
        "784 × 256), which is faster?",
        choices=(
            (
                "two BLAS threads, as always",
                "The thread on the busy core runs only when the system gives it "
                "a turn, and every product waits for it.",
            ),
            ("one BLAS thread", ""),
            (
                "it depends only on the size of the product",
                "The size decides whether BLAS splits it; the neighbours decide whether splitting pays.",
            ),
        ),
        answer=1,
        why="Usually one thread: the threaded product waits at every call for the thread the neighbour holds "
        "up. The next cell measures it on your machine, which may disagree.",
    ),
    # chapter 8
    "overfit-or-not": dict(
        text="A network ends at 100% training accuracy and 98% dev accuracy, and its dev loss has been "
        "rising "
        "for twenty epochs. What is it doing?",
        choices=(
            ("underfitting: it needs more epochs", "More epochs would make the dev loss rise further."),
            ("overfitting: fitting its training images more than digits in general", ""),
            (
                "nothing to worry about: 98% is high",
                "98% is good, but the rising dev loss says further training makes it worse on new digits.",
            ),
        ),
        answer=1,
        why="The training score keeps improving while the dev score does not: that gap growing with "
        "training is "
        "overfitting, the subject of this chapter.",
    ),
    "test-once": dict(
        text="You try twenty settings and keep the one with the best test accuracy. Is that test accuracy an "
        "honest estimate for new digits?",
        choices=(
            (
                "yes: the test set was never trained on",
                "It was never trained on, but it chose the winner: the "
                "winner is partly the luckiest of twenty on those images.",
            ),
            ("no: it is optimistic, because the test set made the choice", ""),
            (
                "no: it is pessimistic",
                "Choosing the best of twenty favours luck on those images, which pushes the "
                "score up, not down.",
            ),
        ),
        answer=1,
        why="Choose on the dev set and measure the chosen model once on the test set: then the test score "
        "has "
        "taken part in no choice.",
    ),
}
