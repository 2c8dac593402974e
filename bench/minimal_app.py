"""The baseline of the poll-throughput benchmark: a minimal Django view behind the console's stack.

`gunicorn -c gunicorn.conf.py bench.minimal_app:application` serves the console's own settings
(console.settings_production: every middleware, the session, the cache) with one extra URL,
`/bench/ok/`, that answers HttpResponse("ok") without a template, the inventory or a login check.
The console's own URLs stay (the middleware reverses some of them). Nothing of this is in the app.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings_production")

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

settings.ROOT_URLCONF = __name__
application = get_wsgi_application()


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


from console.urls import urlpatterns as console_urlpatterns  # noqa: E402

urlpatterns = [path("bench/ok/", ok), *console_urlpatterns]
