def home(request):
    pass
