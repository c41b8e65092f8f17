"""Telling citizens what happens to their reports (issue 17): the channels a person chose,
the notifications sent to them, and the gateways a command sends through."""
