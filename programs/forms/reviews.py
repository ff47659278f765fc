"""Forms for relationship reviews: answering one, directors' instruments, clearing a risk."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from programs.forms.fields import long_text
from programs.forms.programs import PlainTextMixin
from programs.models import ItemPolarity, ReviewChoice, ReviewInstrument, ReviewItem
from programs.services.reviews import MAX_ITEMS, MAX_SCALE, MIN_SCALE, ItemData

NOT_SURE = "ns"


class ReviewForm(PlainTextMixin, forms.Form):
    """One radio group per statement (a fieldset with a legend), the way forward, a comment."""

    def __init__(
        self, *args: Any, instrument: ReviewInstrument, items: list[ReviewItem], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        labels = list(instrument.scale_labels or [])
        points = range(instrument.scale_min, instrument.scale_max + 1)
        scale = [
            (str(v), f"{v} — {labels[i]}" if i < len(labels) else str(v))
            for i, v in enumerate(points)
        ]
        self.items = items
        for item in items:
            self.fields[f"item_{item.pk}"] = forms.ChoiceField(
                label=item.text,
                choices=[*scale, (NOT_SURE, "Not sure")],
                widget=forms.RadioSelect,
                error_messages={"required": "Choose an answer, or “Not sure”."},
            )
        self.fields["choice"] = forms.ChoiceField(
            label="How would you like to go on?",
            choices=ReviewChoice.choices,
            widget=forms.RadioSelect,
            error_messages={"required": "Choose how you would like to go on."},
            help_text="Choosing to end does not end anything yet: you will be offered the "
            "no-fault ending next, and can still change your mind.",
        )
        self.fields["comment_for_directors"] = long_text(
            label="A comment for the program directors (optional)",
            limit=3000,
            required=False,
            help_text="Only the program's directors read this — never the other party.",
            rows=4,
        )

    def answers(self) -> dict[int, int | None]:
        return {
            item.pk: None
            if self.cleaned_data[f"item_{item.pk}"] == NOT_SURE
            else int(self.cleaned_data[f"item_{item.pk}"])
            for item in self.items
        }


class InstrumentForm(PlainTextMixin, forms.ModelForm):
    # The revision the editor showed (checked by instrument_save, not saved by the form).
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)
    scale_max = forms.IntegerField(
        label="Points on the agreement scale",
        min_value=MIN_SCALE,
        max_value=MAX_SCALE,
        initial=5,
        help_text=f"From {MIN_SCALE} to {MAX_SCALE}. The lowest point always means the least "
        "agreement.",
    )
    scale_labels_text = forms.CharField(
        label="Scale labels",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One per line, lowest first (e.g. Strongly disagree … Strongly agree). Leave "
        "empty to show numbers only.",
    )

    class Meta:
        model = ReviewInstrument
        fields = ["name", "description", "source"]
        labels = {"source": "Source or licence"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "source": "For a validated instrument: its citation and the licence your institution "
            "holds.",
            "description": "Shown at the top of the review.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("scale_max", self.instance.scale_max)
            self.initial.setdefault("scale_labels_text", "\n".join(self.instance.scale_labels))

    def labels(self) -> list[str]:
        text = self.cleaned_data.get("scale_labels_text", "")
        return [line.strip() for line in text.splitlines() if line.strip()]


class ItemForm(PlainTextMixin, forms.Form):
    text = forms.CharField(label="Statement", max_length=300)
    construct = forms.CharField(
        label="What it measures",
        max_length=40,
        required=False,
        help_text="A short name, e.g. communication.",
    )
    polarity = forms.ChoiceField(
        label="Kind", choices=ItemPolarity.choices, initial=ItemPolarity.STRENGTH
    )


class BaseItemFormSet(forms.BaseFormSet):
    def items(self) -> list[ItemData]:
        return [
            ItemData(
                f.cleaned_data["text"],
                f.cleaned_data.get("construct", ""),
                f.cleaned_data["polarity"],
            )
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("text")
        ]


# django-stubs type formset_factory's result as the base formset; this one has items().
ItemFormSet = cast(
    type[BaseItemFormSet],
    forms.formset_factory(
        ItemForm,
        formset=BaseItemFormSet,
        extra=3,
        can_delete=True,
        max_num=MAX_ITEMS,
        validate_max=True,
    ),
)


class RiskClearForm(PlainTextMixin, forms.Form):
    note = forms.CharField(
        label="What you found or did",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept for the program's directors only.",
    )
