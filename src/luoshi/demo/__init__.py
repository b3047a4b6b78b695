"""The demo city (an Anshan-like city with its bureaus, districts, townships and people) and its loader."""
