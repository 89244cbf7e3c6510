"""The voice web layer: Twilio's webhooks, TwiML, signatures, the configuration in use, the answer cache."""
