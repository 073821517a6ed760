"""Found and remembered: what search engines, chat previews and calendar apps read."""
