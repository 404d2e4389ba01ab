"""Checkers for the notebooks' exercises: ``check_softmax(softmax)`` and friends.

Each ``check_*`` function calls the student's function on fixed inputs, compares the result
with the course's reference (:mod:`helpers.nn`, :mod:`helpers.metrics`, or central differences
for the derivatives of chapters 3 and 8) and prints a one-line verdict; on failure it also raises
:class:`CheckFailed` (an ``AssertionError``), so nbgrader's autograder scores the cell 0.
The shared machinery lives in :mod:`helpers.checks.core`; each topic has its own module, whose
checkers are re-exported here.
"""

from helpers.checks.activations import check_cross_entropy, check_relu, check_relu_deriv, check_softmax
from helpers.checks.backprop_basics import check_neuron_backprop, check_softmax_jacobian
from helpers.checks.compare import expect_array, expect_arrays, expect_number, expect_scalar, expect_tuple
from helpers.checks.core import CheckFailed, call_student, fail, succeed
from helpers.checks.data import check_one_hot, check_scale_pixels
from helpers.checks.forward import check_first_layer, check_forward_prop
from helpers.checks.gradients import check_backward_prop, check_hidden_layer_grads, check_output_layer_grads
from helpers.checks.metrics import check_confusion_matrix, check_get_accuracy, check_get_predictions
from helpers.checks.optimisation import check_l2_gradient, check_linear_decay, check_momentum_step
from helpers.checks.speed import check_blocked_gradients
from helpers.checks.training import check_training_loop, check_update_params

__all__ = [
    "check_backward_prop",
    "check_blocked_gradients",
    "check_confusion_matrix",
    "check_get_accuracy",
    "check_get_predictions",
    "check_training_loop",
    "check_l2_gradient",
    "check_linear_decay",
    "check_momentum_step",
    "check_neuron_backprop",
    "check_softmax_jacobian",
    "check_update_params",
    "check_cross_entropy",
    "check_first_layer",
    "check_forward_prop",
    "check_hidden_layer_grads",
    "check_one_hot",
    "check_output_layer_grads",
    "check_relu",
    "check_relu_deriv",
    "check_scale_pixels",
    "check_softmax",
    "CheckFailed",
    "call_student",
    "expect_array",
    "expect_arrays",
    "expect_number",
    "expect_scalar",
    "expect_tuple",
    "fail",
    "succeed",
]
