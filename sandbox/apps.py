from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = "Runs (demos and code)"

    def ready(self) -> None:
        # Fill the demo registry once at start-up (demo modules import no torch, so this is cheap),
        # so the first request does not pay for the imports.
        from django.db.backends.signals import connection_created

        from engine.demos import load_all
        from prep_site.page_cache import bump_generation
        from sandbox import checks  # noqa: F401  (registers the settings checks)
        from sandbox import identity  # noqa: F401  (connects the receiver that moves anonymous runs on sign-in)
        from sandbox.code_runs import verdict_changed
        from sandbox.private_files import make_sqlite_private

        load_all()
        connection_created.connect(make_sqlite_private, dispatch_uid="sandbox-private-sqlite")
        # Cached pages carry the "code runs are off" notice (or its absence): a new verdict orphans them.
        verdict_changed.connect(bump_generation, dispatch_uid="sandbox-verdict-page-cache")
