"""Pure container rules: which create fields are honoured, create-body checks, users, starts."""
