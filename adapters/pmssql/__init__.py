"""Pieces shared by the adapters that write a PMS database over ODBC (Dentrix G, Eaglesoft).

Nothing here imports ``pyodbc``: each vendor's ``errors.py`` is the one place driver errors are
caught and translated, and it is handed to :class:`~adapters.pmssql.session.Session` as a guard.
"""
