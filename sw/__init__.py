"""The host runtime (what runs on the PYNQ board). Imports only numpy at module level."""
