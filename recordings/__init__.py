"""Recordings at rest: brought home from Twilio, verified, encrypted, disguised, purged.

`fetch` downloads a confirmed recording, checks it, seals it on disk and only then
deletes it at Twilio; `sealed` is the encrypted file format; `disguise` shifts the
caller's pitch and formants; `retention` purges a campaign's recordings and callers'
data once its retention period is over. Used by the scheduler and the console.
"""
