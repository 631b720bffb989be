"""The two ways a check ends other than pass or fail, as exceptions pytest can be told about at collection
(a strict xfail ``raises=LimitedObserved``) without importing the probes."""


class LimitedObserved(Exception):
    """The documented limitation was observed: reported as a strict xfail."""


class Unmeasurable(Exception):
    """A probe cannot measure this on this target or client (the message says why): reported as a skip."""
