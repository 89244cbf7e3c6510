"""The hotline's core: the menu model, positions and actions, the call flow; it knows neither Flask nor Twilio."""
