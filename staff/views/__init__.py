"""The staff browser pages, one small module per page or family of actions.

Views are thin: parse a form, call a selector or a service, render. Access is checked by
`access.staff_page` (anonymous → sign in; anyone not on staff → 404) and per case by
`selectors.case_for_user` (404 when not visible, 403 when visible but read-only).
"""
