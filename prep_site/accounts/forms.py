"""Account forms: sign-up with an e-mail (needed for password resets) and the throttled log-in form."""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from prep_site.accounts import throttle


class SignupForm(UserCreationForm):
    """Sign-up, refused outright once the visitor's address has made too many accounts (``throttle``)."""

    email = forms.EmailField(required=True, max_length=254, help_text="Used only to reset your password.")

    def __init__(self, *args: Any, ip: str = "unknown", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ip = ip

    def clean(self) -> dict[str, Any]:
        if not throttle.signup_allowed(self.ip):
            raise forms.ValidationError(throttle.signup_limit_message(), code="throttled")
        return super().clean()

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=commit)
        throttle.record_signup(self.ip)
        return user

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail already exists; log in or reset its password.")
        return email


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses to even check the password once (username, IP) has failed too often."""

    def clean(self) -> dict[str, Any]:
        username = self.data.get("username", "")
        ip = throttle.client_ip(self.request) if self.request else "unknown"
        if throttle.is_locked(username, ip):
            raise forms.ValidationError(throttle.lockout_message(), code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_failure(username, ip)
            raise
        throttle.reset(username, ip)
        return cleaned
