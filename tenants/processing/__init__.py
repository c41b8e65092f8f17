"""Records of processing (UU PDP No. 27/2022, Pasal 31): generated from the command's live
data."""
