from django.apps import AppConfig


class PrepSiteConfig(AppConfig):
    """The project itself as an app, so its cross-cutting receivers are connected once at start-up."""

    name = "prep_site"
    verbose_name = "Site"

    def ready(self) -> None:
        from prep_site.page_cache import connect_receivers

        connect_receivers()
