"""The outer layer: aiohttp app, Teams handler, cards, scheduler and the iro-bot command line."""
