"""``python -m helpers.assignments {release,grade,nbgrader-course} ...``"""

import sys

from helpers.assignments.cli import main

sys.exit(main())
