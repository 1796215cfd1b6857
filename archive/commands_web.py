"""Web commands (serve), registered on the app."""
