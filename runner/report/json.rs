//! The JSON reporter: one JSON object per line, for machines.
