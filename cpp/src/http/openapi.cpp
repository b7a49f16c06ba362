// The OpenAPI 3.1 document of the HTTP API, served at /api/openapi.json.
// tests/test_http_openapi.py checks real responses against its schemas, and
// that it describes every path the router serves.
#include <string_view>

namespace mailroom::http {

extern const std::string_view kOpenApiDocument;
const std::string_view kOpenApiDocument = R"openapi(
{
 "openapi": "3.1.0",
 "info": {
  "title": "mailroom HTTP API",
  "version": "1",
  "description": "Mailpit's API v1, compatible (paths, field names, status codes, search syntax), and mailroom's own under /api/mailroom. Errors are JSON: {\"Error\": \"...\"}. Unknown paths: 404; other methods: 405 with Allow."
 },
 "paths": {
  "/api/v1/messages": {
   "get": {
    "summary": "Messages of every INBOX, newest first",
    "responses": {
     "200": {
      "description": "A page of summaries",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/MessagesSummary"
        }
       }
      }
     },
     "400": {
      "description": "A bad start or limit",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "start",
      "in": "query",
      "schema": {
       "type": "integer"
      },
      "description": "Offset into the list (default 0)"
     },
     {
      "name": "limit",
      "in": "query",
      "schema": {
       "type": "integer"
      },
      "description": "At most this many (default 50, at most 1000)"
     }
    ],
    "tags": [
     "messages"
    ]
   },
   "put": {
    "summary": "Mark messages read or unread (all when no IDs)",
    "responses": {
     "200": {
      "description": "ok",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "description": "A bad field",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
         "IDs": {
          "type": "array",
          "items": {
           "type": "string"
          }
         },
         "Read": {
          "type": "boolean"
         }
        }
       }
      }
     }
    },
    "tags": [
     "messages"
    ]
   },
   "delete": {
    "summary": "Delete messages (all when no IDs)",
    "responses": {
     "200": {
      "description": "ok",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "description": "An unknown ID",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
         "IDs": {
          "type": "array",
          "items": {
           "type": "string"
          }
         }
        }
       }
      }
     }
    },
    "tags": [
     "messages"
    ]
   }
  },
  "/api/v1/search": {
   "get": {
    "summary": "Messages matching a search (Mailpit's syntax)",
    "responses": {
     "200": {
      "description": "A page of summaries",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/MessagesSummary"
        }
       }
      }
     },
     "400": {
      "description": "A bad query",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "query",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "words, \"phrases\", from:, to:, cc:, bcc:, subject:, message-id:, tag:, is:read, is:unread, has:attachment; - negates",
      "required": true
     },
     {
      "name": "start",
      "in": "query",
      "schema": {
       "type": "integer"
      },
      "description": "Offset into the list (default 0)"
     },
     {
      "name": "limit",
      "in": "query",
      "schema": {
       "type": "integer"
      },
      "description": "At most this many (default 50, at most 1000)"
     }
    ],
    "tags": [
     "messages"
    ]
   },
   "delete": {
    "summary": "Delete the messages matching a search",
    "responses": {
     "200": {
      "description": "ok",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "description": "A bad query",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "query",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "as for GET",
      "required": true
     }
    ],
    "tags": [
     "messages"
    ]
   }
  },
  "/api/v1/message/{ID}": {
   "get": {
    "summary": "A message (marks it read)",
    "responses": {
     "200": {
      "description": "The message",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Message"
        }
       }
      }
     },
     "404": {
      "description": "No such message",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "ID",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      },
      "description": "A message ID, or `latest`"
     }
    ],
    "tags": [
     "message"
    ]
   }
  },
  "/api/v1/message/{ID}/headers": {
   "get": {
    "summary": "The header fields, by name",
    "responses": {
     "200": {
      "description": "Values by field name",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/MessageHeaders"
        }
       }
      }
     },
     "404": {
      "description": "No such message",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "ID",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      },
      "description": "A message ID, or `latest`"
     }
    ],
    "tags": [
     "message"
    ]
   }
  },
  "/api/v1/message/{ID}/raw": {
   "get": {
    "summary": "The message as stored",
    "responses": {
     "200": {
      "description": "The source",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "404": {
      "description": "No such message",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "ID",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      },
      "description": "A message ID, or `latest`"
     }
    ],
    "tags": [
     "message"
    ]
   }
  },
  "/api/v1/message/{ID}/part/{PartID}": {
   "get": {
    "summary": "One part, decoded, with its own type",
    "responses": {
     "200": {
      "description": "The part",
      "content": {
       "application/octet-stream": {
        "schema": {
         "type": "string",
         "contentEncoding": "binary"
        }
       }
      }
     },
     "404": {
      "description": "No such message or part",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "ID",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      },
      "description": "A message ID, or `latest`"
     },
     {
      "name": "PartID",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      },
      "description": "\"1\", \"2.1\", ... as in Attachments"
     }
    ],
    "tags": [
     "message"
    ]
   }
  },
  "/api/v1/send": {
   "post": {
    "summary": "Send a message (local delivery or the outgoing queue)",
    "tags": [
     "message"
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/SendRequest"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Sent",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/SendMessageConfirmation"
        }
       }
      }
     },
     "400": {
      "description": "A bad field, named",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Larger than max_message_size",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/info": {
   "get": {
    "summary": "Version and totals",
    "responses": {
     "200": {
      "description": "Information",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AppInformation"
        }
       }
      }
     }
    },
    "tags": [
     "application"
    ]
   }
  },
  "/api/v1/webui": {
   "get": {
    "summary": "Settings for a web UI",
    "responses": {
     "200": {
      "description": "Settings",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/WebUIConfiguration"
        }
       }
      }
     }
    },
    "tags": [
     "application"
    ]
   }
  },
  "/api/v1/tags": {
   "get": {
    "summary": "Every tag (X-Tags values and keywords)",
    "responses": {
     "200": {
      "description": "Tags",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "string"
         }
        }
       }
      }
     }
    },
    "tags": [
     "tags"
    ]
   }
  },
  "/livez": {
   "get": {
    "summary": "Alive",
    "responses": {
     "200": {
      "description": "ok",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     }
    },
    "tags": [
     "application"
    ]
   }
  },
  "/readyz": {
   "get": {
    "summary": "Ready",
    "responses": {
     "200": {
      "description": "ok",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     }
    },
    "tags": [
     "application"
    ]
   }
  },
  "/view/{ID}.html": {
   "get": {
    "summary": "The HTML part, under a Content-Security-Policy that runs and loads nothing",
    "responses": {
     "200": {
      "description": "HTML",
      "content": {
       "text/html": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "404": {
      "description": "No such message or no HTML",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "ID",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      },
      "description": "A message ID, or `latest`"
     }
    ],
    "tags": [
     "testing"
    ]
   }
  },
  "/view/{ID}.txt": {
   "get": {
    "summary": "The text part",
    "responses": {
     "200": {
      "description": "Text",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "404": {
      "description": "No such message",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "ID",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      },
      "description": "A message ID, or `latest`"
     }
    ],
    "tags": [
     "testing"
    ]
   }
  },
  "/api/events": {
   "get": {
    "summary": "A WebSocket (RFC 6455): one Event per text message",
    "responses": {
     "101": {
      "description": "Switching to the WebSocket; messages are Event objects",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Event"
        }
       }
      }
     },
     "426": {
      "description": "Not a WebSocket request",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "tags": [
     "live"
    ]
   }
  },
  "/api/mailroom/wait": {
   "get": {
    "summary": "A long poll: the newest matching message, now or the moment one arrives",
    "responses": {
     "200": {
      "description": "The message",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/MessageSummary"
        }
       }
      }
     },
     "400": {
      "description": "A bad parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "408": {
      "description": "None arrived in time",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "to",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "a substring of To, Cc or the envelope recipients"
     },
     {
      "name": "from",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "a substring of From"
     },
     {
      "name": "subject",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "a substring of Subject"
     },
     {
      "name": "timeout",
      "in": "query",
      "schema": {
       "type": "number"
      },
      "description": "seconds, at most 3600 (default 30)"
     },
     {
      "name": "since",
      "in": "query",
      "schema": {
       "type": "number"
      },
      "description": "only messages received at or after (seconds since the epoch)"
     }
    ],
    "tags": [
     "live"
    ]
   }
  },
  "/api/mailroom/message/{ID}/links": {
   "get": {
    "summary": "The http(s) links in the text and HTML",
    "responses": {
     "200": {
      "description": "Links",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Links"
        }
       }
      }
     },
     "404": {
      "description": "No such message",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "ID",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      },
      "description": "A message ID, or `latest`"
     }
    ],
    "tags": [
     "testing"
    ]
   }
  },
  "/api/mailroom/message/{ID}/codes": {
   "get": {
    "summary": "One-time codes (4 to 8 digits standing alone)",
    "responses": {
     "200": {
      "description": "Codes",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Codes"
        }
       }
      }
     },
     "404": {
      "description": "No such message",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "ID",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      },
      "description": "A message ID, or `latest`"
     }
    ],
    "tags": [
     "testing"
    ]
   }
  },
  "/api/openapi.json": {
   "get": {
    "summary": "This document",
    "responses": {
     "200": {
      "description": "OpenAPI 3.1",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    },
    "tags": [
     "application"
    ]
   }
  }
 },
 "components": {
  "schemas": {
   "Error": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "Error": {
      "type": "string"
     }
    },
    "required": [
     "Error"
    ]
   },
   "Address": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "Name": {
      "type": "string"
     },
     "Address": {
      "type": "string"
     }
    },
    "required": [
     "Address",
     "Name"
    ]
   },
   "MessageSummary": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "ID": {
      "type": "string"
     },
     "MessageID": {
      "type": "string"
     },
     "Read": {
      "type": "boolean"
     },
     "From": {
      "$ref": "#/components/schemas/Address"
     },
     "To": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Address"
      }
     },
     "Cc": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Address"
      }
     },
     "Bcc": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Address"
      }
     },
     "ReplyTo": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Address"
      }
     },
     "Subject": {
      "type": "string"
     },
     "Created": {
      "type": "string",
      "format": "date-time"
     },
     "Tags": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "Size": {
      "type": "integer"
     },
     "Attachments": {
      "type": "integer"
     },
     "Snippet": {
      "type": "string",
      "maxLength": 250
     }
    },
    "required": [
     "Attachments",
     "Bcc",
     "Cc",
     "Created",
     "From",
     "ID",
     "MessageID",
     "Read",
     "ReplyTo",
     "Size",
     "Snippet",
     "Subject",
     "Tags",
     "To"
    ]
   },
   "MessagesSummary": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "total": {
      "type": "integer"
     },
     "unread": {
      "type": "integer"
     },
     "count": {
      "type": "integer"
     },
     "messages_count": {
      "type": "integer"
     },
     "messages_unread": {
      "type": "integer"
     },
     "start": {
      "type": "integer"
     },
     "tags": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "messages": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/MessageSummary"
      }
     }
    },
    "required": [
     "count",
     "messages",
     "messages_count",
     "messages_unread",
     "start",
     "tags",
     "total",
     "unread"
    ]
   },
   "Attachment": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "PartID": {
      "type": "string"
     },
     "FileName": {
      "type": "string"
     },
     "ContentType": {
      "type": "string"
     },
     "ContentID": {
      "type": "string"
     },
     "Size": {
      "type": "integer"
     }
    },
    "required": [
     "ContentID",
     "ContentType",
     "FileName",
     "PartID",
     "Size"
    ]
   },
   "Message": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "ID": {
      "type": "string"
     },
     "MessageID": {
      "type": "string"
     },
     "Read": {
      "type": "boolean"
     },
     "From": {
      "$ref": "#/components/schemas/Address"
     },
     "To": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Address"
      }
     },
     "Cc": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Address"
      }
     },
     "Bcc": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Address"
      }
     },
     "ReplyTo": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Address"
      }
     },
     "Subject": {
      "type": "string"
     },
     "Created": {
      "type": "string",
      "format": "date-time"
     },
     "Tags": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "Size": {
      "type": "integer"
     },
     "ReturnPath": {
      "type": "string"
     },
     "Date": {
      "type": "string",
      "format": "date-time"
     },
     "Text": {
      "type": "string"
     },
     "HTML": {
      "type": "string"
     },
     "Inline": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Attachment"
      }
     },
     "Attachments": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Attachment"
      }
     }
    },
    "required": [
     "Attachments",
     "Bcc",
     "Cc",
     "Created",
     "Date",
     "From",
     "HTML",
     "ID",
     "Inline",
     "MessageID",
     "Read",
     "ReplyTo",
     "ReturnPath",
     "Size",
     "Subject",
     "Tags",
     "Text",
     "To"
    ]
   },
   "MessageHeaders": {
    "type": "object",
    "additionalProperties": {
     "type": "array",
     "items": {
      "type": "string"
     }
    }
   },
   "AppInformation": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "Version": {
      "type": "string"
     },
     "LatestVersion": {
      "type": "string"
     },
     "Database": {
      "type": "string"
     },
     "DatabaseSize": {
      "type": "integer"
     },
     "Messages": {
      "type": "integer"
     },
     "Unread": {
      "type": "integer"
     },
     "Tags": {
      "type": "object",
      "additionalProperties": {
       "type": "integer"
      }
     },
     "RuntimeStats": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
       "Uptime": {
        "type": "number"
       }
      },
      "required": [
       "Uptime"
      ]
     }
    },
    "required": [
     "Database",
     "DatabaseSize",
     "LatestVersion",
     "Messages",
     "RuntimeStats",
     "Tags",
     "Unread",
     "Version"
    ]
   },
   "WebUIConfiguration": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "Label": {
      "type": "string"
     },
     "MessageRelay": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
       "Enabled": {
        "type": "boolean"
       }
      },
      "required": [
       "Enabled"
      ]
     },
     "SpamAssassin": {
      "type": "boolean"
     },
     "ChaosEnabled": {
      "type": "boolean"
     },
     "DuplicatesIgnored": {
      "type": "boolean"
     }
    },
    "required": [
     "ChaosEnabled",
     "DuplicatesIgnored",
     "Label",
     "MessageRelay",
     "SpamAssassin"
    ]
   },
   "SendRequest": {
    "type": "object",
    "required": [
     "From"
    ],
    "additionalProperties": false,
    "properties": {
     "From": {
      "type": "object",
      "required": [
       "Email"
      ],
      "additionalProperties": false,
      "properties": {
       "Email": {
        "type": "string"
       },
       "Name": {
        "type": "string"
       }
      }
     },
     "To": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "Email"
       ],
       "additionalProperties": false,
       "properties": {
        "Email": {
         "type": "string"
        },
        "Name": {
         "type": "string"
        }
       }
      }
     },
     "Cc": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "Email"
       ],
       "additionalProperties": false,
       "properties": {
        "Email": {
         "type": "string"
        },
        "Name": {
         "type": "string"
        }
       }
      }
     },
     "ReplyTo": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "Email"
       ],
       "additionalProperties": false,
       "properties": {
        "Email": {
         "type": "string"
        },
        "Name": {
         "type": "string"
        }
       }
      }
     },
     "Bcc": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "Subject": {
      "type": "string"
     },
     "Text": {
      "type": "string"
     },
     "HTML": {
      "type": "string"
     },
     "Tags": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "Headers": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "Attachments": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "Content",
        "Filename"
       ],
       "additionalProperties": false,
       "properties": {
        "Content": {
         "type": "string",
         "contentEncoding": "base64"
        },
        "Filename": {
         "type": "string"
        },
        "ContentType": {
         "type": "string"
        },
        "ContentID": {
         "type": "string"
        }
       }
      }
     }
    }
   },
   "SendMessageConfirmation": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "ID": {
      "type": "string"
     }
    },
    "required": [
     "ID"
    ]
   },
   "Links": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "ID": {
      "type": "string"
     },
     "Links": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    },
    "required": [
     "ID",
     "Links"
    ]
   },
   "Codes": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "ID": {
      "type": "string"
     },
     "Codes": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    },
    "required": [
     "Codes",
     "ID"
    ]
   },
   "Event": {
    "description": "One text message of the WebSocket /api/events",
    "oneOf": [
     {
      "type": "object",
      "additionalProperties": false,
      "properties": {
       "Type": {
        "const": "new"
       },
       "Data": {
        "$ref": "#/components/schemas/MessageSummary"
       }
      },
      "required": [
       "Data",
       "Type"
      ]
     },
     {
      "type": "object",
      "additionalProperties": false,
      "properties": {
       "Type": {
        "const": "update"
       },
       "Data": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
         "ID": {
          "type": "string"
         },
         "Read": {
          "type": "boolean"
         }
        },
        "required": [
         "ID",
         "Read"
        ]
       }
      },
      "required": [
       "Data",
       "Type"
      ]
     },
     {
      "type": "object",
      "additionalProperties": false,
      "properties": {
       "Type": {
        "const": "delete"
       },
       "Data": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
         "ID": {
          "type": "string"
         }
        },
        "required": [
         "ID"
        ]
       }
      },
      "required": [
       "Data",
       "Type"
      ]
     },
     {
      "type": "object",
      "additionalProperties": false,
      "properties": {
       "Type": {
        "const": "stats"
       },
       "Data": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
         "Total": {
          "type": "integer"
         },
         "Unread": {
          "type": "integer"
         },
         "Version": {
          "type": "string"
         }
        },
        "required": [
         "Total",
         "Unread",
         "Version"
        ]
       }
      },
      "required": [
       "Data",
       "Type"
      ]
     }
    ]
   }
  }
 }
}
)openapi";

}  // namespace mailroom::http
