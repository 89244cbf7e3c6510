"""Audio for the hotline's texts: the prompt library, the build pipeline, the text-to-speech engines."""
