"""A turn's replies are sent once the conversation's state is saved, not as they are written.

Why: a bot killed in the middle of a turn (a crash, SIGKILL, a redeploy) must not leave the user
looking at a question the bot does not remember asking. botbuilder sends each reply the moment
the turn writes it, and saves the dialog state at the end of the turn; a kill in between showed
the user "Describe the issue" while the stored dialog still waited for the reasons, so the
description was read as reasons (or, at the start of a dialog, as a message out of the blue).
Held back, the replies go out only after the state that produced them is stored, so what the
user sees is what the bot will carry on from. The opposite window remains (state saved, the
process killed before the replies went out): the user then sees nothing and sends their last
message again, which the dialogs recognise (``dialogs.prompts.Ask``: the same message that led
to the question is answered by asking the question again, not taken as its answer).

How: for the length of the turn the inbound activity's ``delivery_mode`` is ``expectReplies``,
botbuilder's own buffering (``TurnContext.send_activities`` keeps replies in
``buffered_reply_activities`` and still records an invoke response where the adapter looks for
it). ``stop`` restores the mode before the adapter reads it, so the HTTP answer is what it was.
A request that already asked for ``expectReplies`` (not Teams) is left alone.

A turn that fails sends nothing it had written: the user gets the apology (``bot.app``) instead
of half a turn whose state was not saved.
"""

from __future__ import annotations

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, DeliveryModes


class HeldReplies:
    """Hold ``context``'s message replies from now until ``stop``."""

    def __init__(self, context: TurnContext) -> None:
        self._context = context
        self._mode = context.activity.delivery_mode
        self._holding = self._mode != DeliveryModes.expect_replies
        if self._holding:
            context.activity.delivery_mode = DeliveryModes.expect_replies

    def stop(self) -> list[Activity]:
        """Stop holding (later replies go out at once) and hand back what was held."""
        if not self._holding:
            return []
        self._holding = False
        self._context.activity.delivery_mode = self._mode
        buffered = self._context.buffered_reply_activities
        # An invoke response is not sent: the adapter has already taken it from turn_state.
        held = [a for a in buffered if a.type != ActivityTypes.invoke_response]
        buffered.clear()
        return held

    async def send(self, held: list[Activity]) -> None:
        """Send what ``stop`` handed back (each already addressed by ``send_activities``)."""
        if held:
            await self._context.adapter.send_activities(self._context, held)
