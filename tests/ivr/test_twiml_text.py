"""The TwiML written as text is byte for byte what twilio's own serialiser gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml.voice_response import VoiceResponse

from ivr.twiml_text import render

# Characters ElementTree escapes, in text and in attributes, among ordinary ones.
TRICKY = st.text(alphabet=st.sampled_from(list('ab 说&<>"\'\r\n\t=?/')), max_size=12)


@settings(max_examples=200, deadline=None)
@given(action=TRICKY, said=st.lists(TRICKY, max_size=3), loop=st.integers(0, 3),
       barge=st.booleans(), timeout=st.none() | st.integers(1, 10), tail=TRICKY)
def test_any_answer_renders_as_twilio_does(action: str, said: list[str], loop: int,
                                           barge: bool, timeout: int | None, tail: str) -> None:
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=action, timeout=timeout,
                             action_on_empty_result=barge)
    for words in said:
        gather.say(words, language="cmn-CN", loop=loop)
    gather.pause(length=1)
    gather.append(tail)  # a bare string after a child becomes its tail
    response.play(action)
    response.record(action=action, max_length=120, play_beep=True, trim="trim-silence")
    response.redirect(action)
    response.hangup()
    assert render(response) == str(response)


def test_an_empty_answer_and_one_of_text_only() -> None:
    empty = VoiceResponse()
    assert render(empty) == str(empty) == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    spoken = VoiceResponse()
    spoken.say("")  # no words: an empty element, as twilio writes it
    spoken.append("x & y")
    assert render(spoken) == str(spoken)
