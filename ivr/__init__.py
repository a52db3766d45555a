"""The call flow: campaigns, the opening gate, the menu and its prompts. Pure Python over
twilio.twiml; no Flask, no database."""
