"""Graded coding exercises: bank content (questions/bank/exercises/), a grader that runs submissions in the sandbox."""
