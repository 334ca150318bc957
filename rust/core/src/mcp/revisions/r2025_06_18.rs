//! MCP revision 2025-06-18, compiled from the official schema.json by
//! tools/gen_mcp_schema.py. Do not edit by hand.

#[allow(unused_imports)]
use crate::mcp::schema::{Additional, Lit, Method, Revision, Schema, ANY};
#[allow(unused_imports)]
use crate::mcp::schema::{T_ARR, T_BOOL, T_INT, T_NULL, T_NUM, T_OBJ, T_STR};

pub static REVISION: Revision = Revision {
    version: "2025-06-18",
    nodes: &NODES,
    defs: &DEFS,
    methods: &METHODS,
};

static NODES: [Schema; 393] = [
    Schema {
        name: "Annotations",
        types: T_OBJ,
        props: &[("audience", 91), ("lastModified", 92), ("priority", 93)],
        ..ANY
    },
    Schema {
        name: "AudioContent",
        types: T_OBJ,
        props: &[
            ("_meta", 94),
            ("annotations", 0),
            ("data", 95),
            ("mimeType", 96),
            ("type", 97),
        ],
        required_mask: 0x1c,
        ..ANY
    },
    Schema {
        name: "BaseMetadata",
        types: T_OBJ,
        props: &[("name", 98), ("title", 99)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "BlobResourceContents",
        types: T_OBJ,
        props: &[
            ("_meta", 100),
            ("blob", 101),
            ("mimeType", 102),
            ("uri", 103),
        ],
        required_mask: 0xa,
        ..ANY
    },
    Schema {
        name: "BooleanSchema",
        types: T_OBJ,
        props: &[
            ("default", 104),
            ("description", 105),
            ("title", 106),
            ("type", 107),
        ],
        required_mask: 0x8,
        ..ANY
    },
    Schema {
        name: "CallToolRequest",
        types: T_OBJ,
        props: &[("method", 108), ("params", 111)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "CallToolResult",
        types: T_OBJ,
        props: &[
            ("_meta", 112),
            ("content", 113),
            ("isError", 114),
            ("structuredContent", 115),
        ],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "CancelledNotification",
        types: T_OBJ,
        props: &[("method", 116), ("params", 118)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ClientCapabilities",
        types: T_OBJ,
        props: &[
            ("elicitation", 119),
            ("experimental", 121),
            ("roots", 123),
            ("sampling", 124),
        ],
        ..ANY
    },
    Schema {
        name: "ClientNotification",
        any_of: &[7, 29, 55, 76],
        ..ANY
    },
    Schema {
        name: "ClientRequest",
        any_of: &[27, 53, 39, 37, 62, 84, 90, 35, 23, 43, 5, 82, 12],
        ..ANY
    },
    Schema {
        name: "ClientResult",
        any_of: &[73, 16, 42, 19],
        ..ANY
    },
    Schema {
        name: "CompleteRequest",
        types: T_OBJ,
        props: &[("method", 125), ("params", 133)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "CompleteResult",
        types: T_OBJ,
        props: &[("_meta", 134), ("completion", 139)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "ContentBlock",
        any_of: &[85, 25, 1, 68, 20],
        ..ANY
    },
    Schema {
        name: "CreateMessageRequest",
        types: T_OBJ,
        props: &[("method", 140), ("params", 149)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "CreateMessageResult",
        types: T_OBJ,
        props: &[
            ("_meta", 150),
            ("content", 151),
            ("model", 152),
            ("role", 74),
            ("stopReason", 153),
        ],
        required_mask: 0xe,
        ..ANY
    },
    Schema {
        name: "Cursor",
        types: T_STR,
        ..ANY
    },
    Schema {
        name: "ElicitRequest",
        types: T_OBJ,
        props: &[("method", 154), ("params", 161)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ElicitResult",
        types: T_OBJ,
        props: &[("_meta", 162), ("action", 163), ("content", 165)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "EmbeddedResource",
        types: T_OBJ,
        props: &[
            ("_meta", 166),
            ("annotations", 0),
            ("resource", 167),
            ("type", 168),
        ],
        required_mask: 0xc,
        ..ANY
    },
    Schema {
        name: "EmptyResult",
        reference: Some(73),
        ..ANY
    },
    Schema {
        name: "EnumSchema",
        types: T_OBJ,
        props: &[
            ("description", 169),
            ("enum", 171),
            ("enumNames", 173),
            ("title", 174),
            ("type", 175),
        ],
        required_mask: 0x12,
        ..ANY
    },
    Schema {
        name: "GetPromptRequest",
        types: T_OBJ,
        props: &[("method", 176), ("params", 180)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "GetPromptResult",
        types: T_OBJ,
        props: &[("_meta", 181), ("description", 182), ("messages", 183)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ImageContent",
        types: T_OBJ,
        props: &[
            ("_meta", 184),
            ("annotations", 0),
            ("data", 185),
            ("mimeType", 186),
            ("type", 187),
        ],
        required_mask: 0x1c,
        ..ANY
    },
    Schema {
        name: "Implementation",
        types: T_OBJ,
        props: &[("name", 188), ("title", 189), ("version", 190)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "InitializeRequest",
        types: T_OBJ,
        props: &[("method", 191), ("params", 193)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "InitializeResult",
        types: T_OBJ,
        props: &[
            ("_meta", 194),
            ("capabilities", 78),
            ("instructions", 195),
            ("protocolVersion", 196),
            ("serverInfo", 26),
        ],
        required_mask: 0x1a,
        ..ANY
    },
    Schema {
        name: "InitializedNotification",
        types: T_OBJ,
        props: &[("method", 197), ("params", 199)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "JSONRPCError",
        types: T_OBJ,
        props: &[("error", 203), ("id", 65), ("jsonrpc", 204)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "JSONRPCMessage",
        any_of: &[33, 32, 34, 30],
        ..ANY
    },
    Schema {
        name: "JSONRPCNotification",
        types: T_OBJ,
        props: &[("jsonrpc", 205), ("method", 206), ("params", 208)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "JSONRPCRequest",
        types: T_OBJ,
        props: &[
            ("id", 65),
            ("jsonrpc", 209),
            ("method", 210),
            ("params", 212),
        ],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "JSONRPCResponse",
        types: T_OBJ,
        props: &[("id", 65), ("jsonrpc", 213), ("result", 73)],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        name: "ListPromptsRequest",
        types: T_OBJ,
        props: &[("method", 214), ("params", 216)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListPromptsResult",
        types: T_OBJ,
        props: &[("_meta", 217), ("nextCursor", 218), ("prompts", 219)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ListResourceTemplatesRequest",
        types: T_OBJ,
        props: &[("method", 220), ("params", 222)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListResourceTemplatesResult",
        types: T_OBJ,
        props: &[
            ("_meta", 223),
            ("nextCursor", 224),
            ("resourceTemplates", 225),
        ],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ListResourcesRequest",
        types: T_OBJ,
        props: &[("method", 226), ("params", 228)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListResourcesResult",
        types: T_OBJ,
        props: &[("_meta", 229), ("nextCursor", 230), ("resources", 231)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ListRootsRequest",
        types: T_OBJ,
        props: &[("method", 232), ("params", 234)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListRootsResult",
        types: T_OBJ,
        props: &[("_meta", 235), ("roots", 236)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "ListToolsRequest",
        types: T_OBJ,
        props: &[("method", 237), ("params", 239)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ListToolsResult",
        types: T_OBJ,
        props: &[("_meta", 240), ("nextCursor", 241), ("tools", 242)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "LoggingLevel",
        types: T_STR,
        enumeration: &[
            Lit::Str("alert"),
            Lit::Str("critical"),
            Lit::Str("debug"),
            Lit::Str("emergency"),
            Lit::Str("error"),
            Lit::Str("info"),
            Lit::Str("notice"),
            Lit::Str("warning"),
        ],
        ..ANY
    },
    Schema {
        name: "LoggingMessageNotification",
        types: T_OBJ,
        props: &[("method", 243), ("params", 246)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ModelHint",
        types: T_OBJ,
        props: &[("name", 247)],
        ..ANY
    },
    Schema {
        name: "ModelPreferences",
        types: T_OBJ,
        props: &[
            ("costPriority", 248),
            ("hints", 249),
            ("intelligencePriority", 250),
            ("speedPriority", 251),
        ],
        ..ANY
    },
    Schema {
        name: "Notification",
        types: T_OBJ,
        props: &[("method", 252), ("params", 254)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "NumberSchema",
        types: T_OBJ,
        props: &[
            ("description", 255),
            ("maximum", 256),
            ("minimum", 257),
            ("title", 258),
            ("type", 259),
        ],
        required_mask: 0x10,
        ..ANY
    },
    Schema {
        name: "PaginatedRequest",
        types: T_OBJ,
        props: &[("method", 260), ("params", 262)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "PaginatedResult",
        types: T_OBJ,
        props: &[("_meta", 263), ("nextCursor", 264)],
        ..ANY
    },
    Schema {
        name: "PingRequest",
        types: T_OBJ,
        props: &[("method", 265), ("params", 267)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "PrimitiveSchemaDefinition",
        any_of: &[83, 50, 4, 22],
        ..ANY
    },
    Schema {
        name: "ProgressNotification",
        types: T_OBJ,
        props: &[("method", 268), ("params", 272)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ProgressToken",
        types: T_STR | T_INT,
        ..ANY
    },
    Schema {
        name: "Prompt",
        types: T_OBJ,
        props: &[
            ("_meta", 273),
            ("arguments", 274),
            ("description", 275),
            ("name", 276),
            ("title", 277),
        ],
        required_mask: 0x8,
        ..ANY
    },
    Schema {
        name: "PromptArgument",
        types: T_OBJ,
        props: &[
            ("description", 278),
            ("name", 279),
            ("required", 280),
            ("title", 281),
        ],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "PromptListChangedNotification",
        types: T_OBJ,
        props: &[("method", 282), ("params", 284)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "PromptMessage",
        types: T_OBJ,
        props: &[("content", 14), ("role", 74)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "PromptReference",
        types: T_OBJ,
        props: &[("name", 285), ("title", 286), ("type", 287)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        name: "ReadResourceRequest",
        types: T_OBJ,
        props: &[("method", 288), ("params", 290)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ReadResourceResult",
        types: T_OBJ,
        props: &[("_meta", 291), ("contents", 293)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        name: "Request",
        types: T_OBJ,
        props: &[("method", 294), ("params", 296)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "RequestId",
        types: T_STR | T_INT,
        ..ANY
    },
    Schema {
        name: "Resource",
        types: T_OBJ,
        props: &[
            ("_meta", 297),
            ("annotations", 0),
            ("description", 298),
            ("mimeType", 299),
            ("name", 300),
            ("size", 301),
            ("title", 302),
            ("uri", 303),
        ],
        required_mask: 0x90,
        ..ANY
    },
    Schema {
        name: "ResourceContents",
        types: T_OBJ,
        props: &[("_meta", 304), ("mimeType", 305), ("uri", 306)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "ResourceLink",
        types: T_OBJ,
        props: &[
            ("_meta", 307),
            ("annotations", 0),
            ("description", 308),
            ("mimeType", 309),
            ("name", 310),
            ("size", 311),
            ("title", 312),
            ("type", 313),
            ("uri", 314),
        ],
        required_mask: 0x190,
        ..ANY
    },
    Schema {
        name: "ResourceListChangedNotification",
        types: T_OBJ,
        props: &[("method", 315), ("params", 317)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "ResourceTemplate",
        types: T_OBJ,
        props: &[
            ("_meta", 318),
            ("annotations", 0),
            ("description", 319),
            ("mimeType", 320),
            ("name", 321),
            ("title", 322),
            ("uriTemplate", 323),
        ],
        required_mask: 0x50,
        ..ANY
    },
    Schema {
        name: "ResourceTemplateReference",
        types: T_OBJ,
        props: &[("type", 324), ("uri", 325)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ResourceUpdatedNotification",
        types: T_OBJ,
        props: &[("method", 326), ("params", 328)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "Result",
        types: T_OBJ,
        props: &[("_meta", 329)],
        ..ANY
    },
    Schema {
        name: "Role",
        types: T_STR,
        enumeration: &[Lit::Str("assistant"), Lit::Str("user")],
        ..ANY
    },
    Schema {
        name: "Root",
        types: T_OBJ,
        props: &[("_meta", 330), ("name", 331), ("uri", 332)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        name: "RootsListChangedNotification",
        types: T_OBJ,
        props: &[("method", 333), ("params", 335)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "SamplingMessage",
        types: T_OBJ,
        props: &[("content", 336), ("role", 74)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "ServerCapabilities",
        types: T_OBJ,
        props: &[
            ("completions", 337),
            ("experimental", 339),
            ("logging", 340),
            ("prompts", 342),
            ("resources", 345),
            ("tools", 347),
        ],
        ..ANY
    },
    Schema {
        name: "ServerNotification",
        any_of: &[7, 55, 69, 72, 59, 89, 46],
        ..ANY
    },
    Schema {
        name: "ServerRequest",
        any_of: &[53, 15, 41, 18],
        ..ANY
    },
    Schema {
        name: "ServerResult",
        any_of: &[73, 28, 40, 38, 63, 36, 24, 44, 6, 13],
        ..ANY
    },
    Schema {
        name: "SetLevelRequest",
        types: T_OBJ,
        props: &[("method", 348), ("params", 349)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "StringSchema",
        types: T_OBJ,
        props: &[
            ("description", 350),
            ("format", 351),
            ("maxLength", 352),
            ("minLength", 353),
            ("title", 354),
            ("type", 355),
        ],
        required_mask: 0x20,
        ..ANY
    },
    Schema {
        name: "SubscribeRequest",
        types: T_OBJ,
        props: &[("method", 356), ("params", 358)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        name: "TextContent",
        types: T_OBJ,
        props: &[
            ("_meta", 359),
            ("annotations", 0),
            ("text", 360),
            ("type", 361),
        ],
        required_mask: 0xc,
        ..ANY
    },
    Schema {
        name: "TextResourceContents",
        types: T_OBJ,
        props: &[
            ("_meta", 362),
            ("mimeType", 363),
            ("text", 364),
            ("uri", 365),
        ],
        required_mask: 0xc,
        ..ANY
    },
    Schema {
        name: "Tool",
        types: T_OBJ,
        props: &[
            ("_meta", 366),
            ("annotations", 88),
            ("description", 367),
            ("inputSchema", 373),
            ("name", 374),
            ("outputSchema", 380),
            ("title", 381),
        ],
        required_mask: 0x18,
        ..ANY
    },
    Schema {
        name: "ToolAnnotations",
        types: T_OBJ,
        props: &[
            ("destructiveHint", 382),
            ("idempotentHint", 383),
            ("openWorldHint", 384),
            ("readOnlyHint", 385),
            ("title", 386),
        ],
        ..ANY
    },
    Schema {
        name: "ToolListChangedNotification",
        types: T_OBJ,
        props: &[("method", 387), ("params", 389)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        name: "UnsubscribeRequest",
        types: T_OBJ,
        props: &[("method", 390), ("params", 392)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(74),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("audio")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("boolean")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("tools/call")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("arguments", 109), ("name", 110)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(14),
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/cancelled")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("reason", 117), ("requestId", 65)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(120),
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("listChanged", 122)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("completion/complete")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("name", 126), ("value", 127)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(129),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("arguments", 130)],
        ..ANY
    },
    Schema {
        any_of: &[61, 71],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("argument", 128), ("context", 131), ("ref", 132)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(137),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("hasMore", 135), ("total", 136), ("values", 138)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("sampling/createMessage")),
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[
            Lit::Str("allServers"),
            Lit::Str("none"),
            Lit::Str("thisServer"),
        ],
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(77),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(145),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[
            ("includeContext", 141),
            ("maxTokens", 142),
            ("messages", 143),
            ("metadata", 144),
            ("modelPreferences", 48),
            ("stopSequences", 146),
            ("systemPrompt", 147),
            ("temperature", 148),
        ],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        any_of: &[85, 25, 1],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("elicitation/create")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(54),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(157),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("object")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("properties", 156), ("required", 158), ("type", 159)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("message", 155), ("requestedSchema", 160)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[Lit::Str("accept"), Lit::Str("cancel"), Lit::Str("decline")],
        ..ANY
    },
    Schema {
        types: T_STR | T_BOOL | T_NUM,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(164),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        any_of: &[86, 3],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resource")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(170),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(172),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("string")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("prompts/get")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(177),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("arguments", 178), ("name", 179)],
        required_mask: 0x2,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(60),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("image")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("initialize")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[
            ("capabilities", 8),
            ("clientInfo", 26),
            ("protocolVersion", 192),
        ],
        required_mask: 0x7,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/initialized")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 198)],
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema { ..ANY },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("code", 200), ("data", 201), ("message", 202)],
        required_mask: 0x5,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 207)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 56)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 211)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("2.0")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("prompts/list")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("cursor", 215)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(57),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/templates/list")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("cursor", 221)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(70),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/list")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("cursor", 227)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(66),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("roots/list")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 56)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 233)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(75),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("tools/list")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("cursor", 238)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(87),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/message")),
        ..ANY
    },
    Schema { ..ANY },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("data", 244), ("level", 45), ("logger", 245)],
        required_mask: 0x3,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(47),
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_NUM,
        minimum: Some(0.0),
        maximum: Some(1.0),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 253)],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[Lit::Str("integer"), Lit::Str("number")],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("cursor", 261)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("ping")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 56)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 266)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/progress")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_NUM,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[
            ("message", 269),
            ("progress", 270),
            ("progressToken", 56),
            ("total", 271),
        ],
        required_mask: 0x6,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(58),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/prompts/list_changed")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 283)],
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("ref/prompt")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/read")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("uri", 289)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        any_of: &[86, 3],
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(292),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("progressToken", 56)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 295)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resource_link")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/resources/list_changed")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 316)],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("ref/resource")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/resources/updated")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("uri", 327)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/roots/list_changed")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 334)],
        ..ANY
    },
    Schema {
        any_of: &[85, 25, 1],
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(338),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("listChanged", 341)],
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("listChanged", 343), ("subscribe", 344)],
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("listChanged", 346)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("logging/setLevel")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("level", 45)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        enumeration: &[
            Lit::Str("date"),
            Lit::Str("date-time"),
            Lit::Str("email"),
            Lit::Str("uri"),
        ],
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_INT,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("string")),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/subscribe")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("uri", 357)],
        required_mask: 0x1,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("text")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(368),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(370),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("object")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("properties", 369), ("required", 371), ("type", 372)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        additional: Additional::Schema(375),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_ARR,
        items: Some(377),
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("object")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("properties", 376), ("required", 378), ("type", 379)],
        required_mask: 0x4,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_BOOL,
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("notifications/tools/list_changed")),
        ..ANY
    },
    Schema {
        types: T_OBJ,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("_meta", 388)],
        ..ANY
    },
    Schema {
        types: T_STR,
        konst: Some(Lit::Str("resources/unsubscribe")),
        ..ANY
    },
    Schema {
        types: T_STR,
        ..ANY
    },
    Schema {
        types: T_OBJ,
        props: &[("uri", 391)],
        required_mask: 0x1,
        ..ANY
    },
];

/// Definition names, sorted for binary search.
static DEFS: [(&str, u16); 91] = [
    ("Annotations", 0),
    ("AudioContent", 1),
    ("BaseMetadata", 2),
    ("BlobResourceContents", 3),
    ("BooleanSchema", 4),
    ("CallToolRequest", 5),
    ("CallToolResult", 6),
    ("CancelledNotification", 7),
    ("ClientCapabilities", 8),
    ("ClientNotification", 9),
    ("ClientRequest", 10),
    ("ClientResult", 11),
    ("CompleteRequest", 12),
    ("CompleteResult", 13),
    ("ContentBlock", 14),
    ("CreateMessageRequest", 15),
    ("CreateMessageResult", 16),
    ("Cursor", 17),
    ("ElicitRequest", 18),
    ("ElicitResult", 19),
    ("EmbeddedResource", 20),
    ("EmptyResult", 21),
    ("EnumSchema", 22),
    ("GetPromptRequest", 23),
    ("GetPromptResult", 24),
    ("ImageContent", 25),
    ("Implementation", 26),
    ("InitializeRequest", 27),
    ("InitializeResult", 28),
    ("InitializedNotification", 29),
    ("JSONRPCError", 30),
    ("JSONRPCMessage", 31),
    ("JSONRPCNotification", 32),
    ("JSONRPCRequest", 33),
    ("JSONRPCResponse", 34),
    ("ListPromptsRequest", 35),
    ("ListPromptsResult", 36),
    ("ListResourceTemplatesRequest", 37),
    ("ListResourceTemplatesResult", 38),
    ("ListResourcesRequest", 39),
    ("ListResourcesResult", 40),
    ("ListRootsRequest", 41),
    ("ListRootsResult", 42),
    ("ListToolsRequest", 43),
    ("ListToolsResult", 44),
    ("LoggingLevel", 45),
    ("LoggingMessageNotification", 46),
    ("ModelHint", 47),
    ("ModelPreferences", 48),
    ("Notification", 49),
    ("NumberSchema", 50),
    ("PaginatedRequest", 51),
    ("PaginatedResult", 52),
    ("PingRequest", 53),
    ("PrimitiveSchemaDefinition", 54),
    ("ProgressNotification", 55),
    ("ProgressToken", 56),
    ("Prompt", 57),
    ("PromptArgument", 58),
    ("PromptListChangedNotification", 59),
    ("PromptMessage", 60),
    ("PromptReference", 61),
    ("ReadResourceRequest", 62),
    ("ReadResourceResult", 63),
    ("Request", 64),
    ("RequestId", 65),
    ("Resource", 66),
    ("ResourceContents", 67),
    ("ResourceLink", 68),
    ("ResourceListChangedNotification", 69),
    ("ResourceTemplate", 70),
    ("ResourceTemplateReference", 71),
    ("ResourceUpdatedNotification", 72),
    ("Result", 73),
    ("Role", 74),
    ("Root", 75),
    ("RootsListChangedNotification", 76),
    ("SamplingMessage", 77),
    ("ServerCapabilities", 78),
    ("ServerNotification", 79),
    ("ServerRequest", 80),
    ("ServerResult", 81),
    ("SetLevelRequest", 82),
    ("StringSchema", 83),
    ("SubscribeRequest", 84),
    ("TextContent", 85),
    ("TextResourceContents", 86),
    ("Tool", 87),
    ("ToolAnnotations", 88),
    ("ToolListChangedNotification", 89),
    ("UnsubscribeRequest", 90),
];

/// Methods, sorted by name for binary search.
static METHODS: [Method; 25] = [
    Method {
        name: "completion/complete",
        notification: false,
        message: 12,
        result: Some(13),
    },
    Method {
        name: "elicitation/create",
        notification: false,
        message: 18,
        result: Some(19),
    },
    Method {
        name: "initialize",
        notification: false,
        message: 27,
        result: Some(28),
    },
    Method {
        name: "logging/setLevel",
        notification: false,
        message: 82,
        result: Some(21),
    },
    Method {
        name: "notifications/cancelled",
        notification: true,
        message: 7,
        result: None,
    },
    Method {
        name: "notifications/initialized",
        notification: true,
        message: 29,
        result: None,
    },
    Method {
        name: "notifications/message",
        notification: true,
        message: 46,
        result: None,
    },
    Method {
        name: "notifications/progress",
        notification: true,
        message: 55,
        result: None,
    },
    Method {
        name: "notifications/prompts/list_changed",
        notification: true,
        message: 59,
        result: None,
    },
    Method {
        name: "notifications/resources/list_changed",
        notification: true,
        message: 69,
        result: None,
    },
    Method {
        name: "notifications/resources/updated",
        notification: true,
        message: 72,
        result: None,
    },
    Method {
        name: "notifications/roots/list_changed",
        notification: true,
        message: 76,
        result: None,
    },
    Method {
        name: "notifications/tools/list_changed",
        notification: true,
        message: 89,
        result: None,
    },
    Method {
        name: "ping",
        notification: false,
        message: 53,
        result: Some(21),
    },
    Method {
        name: "prompts/get",
        notification: false,
        message: 23,
        result: Some(24),
    },
    Method {
        name: "prompts/list",
        notification: false,
        message: 35,
        result: Some(36),
    },
    Method {
        name: "resources/list",
        notification: false,
        message: 39,
        result: Some(40),
    },
    Method {
        name: "resources/read",
        notification: false,
        message: 62,
        result: Some(63),
    },
    Method {
        name: "resources/subscribe",
        notification: false,
        message: 84,
        result: Some(21),
    },
    Method {
        name: "resources/templates/list",
        notification: false,
        message: 37,
        result: Some(38),
    },
    Method {
        name: "resources/unsubscribe",
        notification: false,
        message: 90,
        result: Some(21),
    },
    Method {
        name: "roots/list",
        notification: false,
        message: 41,
        result: Some(42),
    },
    Method {
        name: "sampling/createMessage",
        notification: false,
        message: 15,
        result: Some(16),
    },
    Method {
        name: "tools/call",
        notification: false,
        message: 5,
        result: Some(6),
    },
    Method {
        name: "tools/list",
        notification: false,
        message: 43,
        result: Some(44),
    },
];
