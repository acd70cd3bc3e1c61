"""Where documents come from: files and folders, e-mails, and what their bytes are."""
