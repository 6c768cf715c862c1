# gunicorn settings for Kvalitetsflöde (`gunicorn 'app:create_app()'` reads this file from the working directory).
workers = 2
