"""Speaking to the caller: one campaign's prompts in the caller's language and voice."""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from campaign.model import Campaign
from campaign.voices import say_language
from ivr.prompts import Prompts, prompts_for
from ivr.state import BadState, Links


class Speaker:
    """Says prompts of one campaign in the caller's language and the campaign's voice."""

    def __init__(self, campaign: Campaign, language: str, links: Links) -> None:
        if language not in campaign.languages:
            raise BadState("language is not one of the campaign's")
        self.campaign = campaign
        self.links = links
        self.language = language
        self.prompts: Prompts = prompts_for(language)

    def say(self, target: VoiceResponse | Gather, prompt: str, **values: object) -> None:
        self.say_text(target, self.prompts.say(prompt, **values))

    def say_text(self, target: VoiceResponse | Gather, text: str) -> None:
        voice = self.campaign.voices[self.language]
        target.say(text, voice=voice, language=say_language(voice))

    def welcome(self, target: VoiceResponse | Gather) -> None:
        title = self.campaign.title.get(self.language)
        if title:
            self.say(target, "welcome", title=title)
        else:
            self.say(target, "welcome_untitled")
