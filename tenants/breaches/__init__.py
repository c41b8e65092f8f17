"""The breach register (UU PDP No. 27/2022, Pasal 46): incidents, their 3 x 24 hour clock,
its escalations, the notices and the export for the authority."""
