"""Domain services shared by the web pages, the JSON API and the command line. They know nothing of
HTTP: they take a user and plain data, and raise the errors in app.services.errors."""
