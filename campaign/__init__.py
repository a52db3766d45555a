"""The campaign as every part of Hotline reads it: the model (model.py), the file loader
(loader.py, checks.py), routing by dialled number (routing.py), Twilio's voices
(voices.py, voices.toml) and the calendar (calendar.py). It imports nothing of the
call flow, the web or the database."""
