"""Thin views: look the object up through `access`, call one service or selector, render."""
