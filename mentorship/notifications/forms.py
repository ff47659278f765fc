"""The notification preferences form: one choice per kind the person can receive."""

from __future__ import annotations

from typing import Any

from django import forms

from mentorship.notifications.kinds import Delivery, Kind, spec

HIDDEN_KINDS = {Kind.DIGEST}


def kinds_for(*, is_privileged: bool) -> list[tuple[str, str]]:
    return [
        (value, label)
        for value, label in Kind.choices
        if value not in HIDDEN_KINDS and (is_privileged or not spec(value).directors_only)
    ]


class PreferencesForm(forms.Form):
    quiet_starts = forms.TimeField(
        label="Quiet hours start",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="In your own time zone. Emails due in quiet hours wait until they end.",
    )
    quiet_ends = forms.TimeField(
        label="Quiet hours end", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def __init__(
        self, *args: Any, kinds: list[tuple[str, str]], current: dict[str, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for value, label in kinds:
            mandatory = spec(value).mandatory
            choices = [(d.value, d.label) for d in Delivery]
            if not spec(value).digestible:
                choices = [c for c in choices if c[0] in (Delivery.IMMEDIATE, Delivery.OFF)]
            if mandatory:
                choices = [(Delivery.IMMEDIATE.value, Delivery.IMMEDIATE.label)]
            self.fields[f"kind_{value}"] = forms.ChoiceField(
                label=label,
                choices=choices,
                required=False,
                initial=current.get(value, Delivery.IMMEDIATE),
                disabled=mandatory,
                help_text="Program directors always receive these, so concerns are never missed."
                if mandatory
                else "",
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        starts, ends = data.get("quiet_starts"), data.get("quiet_ends")
        if bool(starts) != bool(ends):
            self.add_error(
                "quiet_ends" if starts else "quiet_starts", "Give both a start and an end."
            )
        elif starts and starts == ends:
            self.add_error("quiet_ends", "The end must differ from the start.")
        return data

    def deliveries(self) -> dict[str, str]:
        return {
            name.removeprefix("kind_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("kind_") and value and not self.fields[name].disabled
        }
