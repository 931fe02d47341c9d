"""The app's shared state and what a visitor may do."""
