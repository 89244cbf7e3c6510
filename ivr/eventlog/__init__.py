"""The call-event log: what each call did, kept without anything that identifies the caller."""
