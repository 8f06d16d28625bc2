"""E-mail alerts sent by the daemon: the daily digest and outage/recovery messages.

``mailer`` (SMTP, the one place smtplib errors are translated), ``digest`` and ``outage``
(what to say, pure), ``watcher`` (when: once per period, kept in the store's ``alerts_sent``
so a restart or a second instance never sends the same alert twice). Messages carry ids,
amounts, reason titles and links into the console: never patient names.
"""
