-- the HTML alternative of a notification's text, rendered from its .html.vm template
ALTER TABLE email_notification ADD COLUMN html_body VARCHAR(200000);
