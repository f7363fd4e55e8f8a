[Run]
User=1000
Group=4294967294
Hostname=crlf
