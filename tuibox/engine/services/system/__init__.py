"""System verbs: /version, /info and the /events feed."""
