#!/usr/bin/env python3
"""The reference system's way of sending, for `npm run bench`: Dify's libs/smtp.py (stdlib smtplib,
a new connection per message, an HTML-only MIMEMultipart, the configured sender as MAIL FROM),
with a ~5 KB HTML body and a Chinese subject, as its reset-password mail is. Sends N messages
one after another and prints one JSON line: {"sent", "seconds", "cpu_seconds"}.
Usage: python3 bench/dify-sender.py HOST PORT N"""
import json
import resource
import smtplib
import sys
import time
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
FROM = "app@example.com"
# ~5 KB of HTML, as a rendered transactional template is
ROW = '<tr><td style="padding:8px 24px;font-family:Arial,sans-serif;font-size:14px;color:#333">您的验证码是 {code}，5 分钟内有效。If you did not ask for it, ignore this mail.</td></tr>\n'


def send(mail):
    # libs/smtp.py SMTPClient.send, plain mode (SMTP_USE_TLS=false), no AUTH
    smtp = None
    try:
        smtp = smtplib.SMTP(host, port, timeout=10, local_hostname=None)
        msg = MIMEMultipart()
        msg["Subject"] = mail["subject"]
        msg["From"] = FROM
        msg["To"] = mail["to"]
        msg.attach(MIMEText(mail["html"], "html"))
        smtp.sendmail(FROM, mail["to"], msg.as_string())
    finally:
        if smtp:
            smtp.quit()


t0 = time.perf_counter()
for i in range(n):
    code = f"{i % 1000000:06d}"
    html = "<html><body><table>" + "".join(ROW.format(code=code) for _ in range(25)) + "</table></body></html>"
    send({"to": f"user{i}@example.com", "subject": "重置您的 Dify 密码", "html": html})
seconds = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"sent": n, "seconds": seconds, "cpu_seconds": ru.ru_utime + ru.ru_stime}))
