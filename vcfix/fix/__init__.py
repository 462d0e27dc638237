"""The fix flow: from a diagnosis to replaced, verified certificates.

:mod:`~vcfix.fix.run` drives a run (answers, review, preflight, lock, backup, steps,
verify); :mod:`~vcfix.fix.step` is what every step implements and
:mod:`~vcfix.fix.steps` lists them (:mod:`~vcfix.fix.certmgr_step`,
:mod:`~vcfix.fix.sts_step`); the dialog engine that answers vendor prompts is
:mod:`vcfix.fix.dialog`. Around them: the run directory, the backup, service restarts,
certool defaults, the review of answers and the verification.
"""
