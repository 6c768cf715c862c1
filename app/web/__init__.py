def register_web(app):
    pass
