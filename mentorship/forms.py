"""Project-wide form rendering: every form gets an error summary linked to its fields."""

from django.forms.renderers import TemplatesSetting


class AccessibleFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
