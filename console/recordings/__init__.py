"""Recordings in the console: the pages (play, "play original", legal hold, where each
recording is), the playback of the local copy or Twilio's, and Twilio's REST client."""
