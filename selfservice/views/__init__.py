"""The customer self-service pages, one small module per page or family of actions.

Views are thin: parse a form, call a selector or a service, render. `access.customer_page`
lets in customers and delegates only (anonymous → sign in; everyone else → 404), and every
case, claim and file is looked up through `selfservice.selectors`, which answers 404 for
anything the customer side may not see.
"""
