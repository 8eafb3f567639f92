DROP TABLE audit;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
