// generated from spec/kling-o1-video-edit.yaml by scripts/generate.ts - do not edit
/** Every operation in the spec: method, path, parameters, bodies (content type, schema name, examples), callbacks. */
export const operations = {
  "createVideoGeneration": {
    "method": "POST",
    "path": "/v1/videos/generations",
    "parameters": [],
    "requestBody": {
      "required": true,
      "contentType": "application/json",
      "schema": "VideoGenerationRequest",
      "examples": {
        "video_edit": {
          "model": "kling-o1-video-edit",
          "prompt": "Make the video more cinematic",
          "video_urls": [
            "https://example.com/original-video.mp4"
          ]
        },
        "video_edit_with_reference": {
          "model": "kling-o1-video-edit",
          "prompt": "Make the video more cinematic",
          "video_urls": [
            "https://example.com/original-video.mp4"
          ],
          "image_urls": [
            "https://example.com/reference.jpg"
          ]
        }
      }
    },
    "responses": {
      "200": {
        "description": "Video generation task created successfully",
        "body": {
          "contentType": "application/json",
          "schema": "VideoGenerationResponse",
          "example": {
            "created": 1757169743,
            "id": "task-unified-1757169743-7cvnl5zw",
            "model": "kling-o1-video-edit",
            "object": "video.generation.task",
            "progress": 0,
            "status": "pending",
            "task_info": {
              "can_cancel": true,
              "estimated_time": 300,
              "video_duration": 9
            },
            "type": "video",
            "usage": {
              "billing_rule": "per_call",
              "credits_reserved": 7,
              "user_group": "default"
            }
          }
        }
      },
      "400": {
        "description": "Invalid request parameters",
        "body": {
          "contentType": "application/json",
          "schema": "ErrorResponse",
          "example": {
            "error": {
              "code": 400,
              "message": "Invalid request parameter",
              "type": "invalid_request_error"
            }
          }
        }
      },
      "401": {
        "description": "Unauthenticated, invalid or expired token",
        "body": {
          "contentType": "application/json",
          "schema": "ErrorResponse",
          "example": {
            "error": {
              "code": 401,
              "message": "Invalid or expired token",
              "type": "authentication_error"
            }
          }
        }
      },
      "402": {
        "description": "Insufficient quota, recharge required",
        "body": {
          "contentType": "application/json",
          "schema": "ErrorResponse",
          "example": {
            "error": {
              "code": 402,
              "message": "Insufficient quota",
              "type": "insufficient_quota_error",
              "fallback_suggestion": "https://ai.odkkk.com/apiv1/dashboard/billing"
            }
          }
        }
      },
      "403": {
        "description": "Access denied",
        "body": {
          "contentType": "application/json",
          "schema": "ErrorResponse",
          "example": {
            "error": {
              "code": 403,
              "message": "Access denied for this model",
              "type": "permission_error",
              "param": "model"
            }
          }
        }
      },
      "404": {
        "description": "Resource not found",
        "body": {
          "contentType": "application/json",
          "schema": "ErrorResponse",
          "example": {
            "error": {
              "code": 404,
              "message": "Specified model not found",
              "type": "not_found_error",
              "param": "model",
              "fallback_suggestion": "kling-o1-video-edit"
            }
          }
        }
      },
      "429": {
        "description": "Rate limit exceeded",
        "body": {
          "contentType": "application/json",
          "schema": "ErrorResponse",
          "example": {
            "error": {
              "code": 429,
              "message": "Rate limit exceeded",
              "type": "rate_limit_error",
              "fallback_suggestion": "retry after 60 seconds"
            }
          }
        }
      },
      "500": {
        "description": "Internal server error",
        "body": {
          "contentType": "application/json",
          "schema": "ErrorResponse",
          "example": {
            "error": {
              "code": 500,
              "message": "Internal server error",
              "type": "internal_server_error",
              "fallback_suggestion": "try again later"
            }
          }
        }
      },
      "502": {
        "description": "Upstream service error",
        "body": {
          "contentType": "application/json",
          "schema": "ErrorResponse",
          "example": {
            "error": {
              "code": 502,
              "message": "Upstream AI service unavailable",
              "type": "upstream_error",
              "fallback_suggestion": "try different model"
            }
          }
        }
      },
      "503": {
        "description": "Service temporarily unavailable",
        "body": {
          "contentType": "application/json",
          "schema": "ErrorResponse",
          "example": {
            "error": {
              "code": 503,
              "message": "Service temporarily unavailable",
              "type": "service_unavailable_error",
              "fallback_suggestion": "retry after 30 seconds"
            }
          }
        }
      }
    },
    "callbacks": {
      "taskFinished": {
        "expression": "{$request.body#/callback_url}",
        "method": "POST",
        "operationId": "videoTaskCallback",
        "body": {
          "contentType": "application/json",
          "schema": "TaskDetail"
        },
        "responses": [
          "2XX",
          "4XX",
          "5XX"
        ]
      }
    }
  },
  "getTaskDetail": {
    "method": "GET",
    "path": "/v1/tasks/{task_id}",
    "parameters": [
      {
        "name": "task_id",
        "in": "path",
        "required": true
      }
    ],
    "requestBody": null,
    "responses": {
      "200": {
        "description": "Task status details",
        "body": {
          "contentType": "application/json",
          "schema": "TaskDetail",
          "examples": {
            "video_completed": {
              "created": 1757169743,
              "id": "task-unified-1757169743-7cvnl5zw",
              "model": "kling-o1-video-edit",
              "object": "video.generation.task",
              "progress": 100,
              "results": [
                "https://example.com/results/task-unified-1757169743-7cvnl5zw.mp4"
              ],
              "status": "completed",
              "task_info": {
                "can_cancel": false
              },
              "type": "video"
            },
            "video_processing": {
              "created": 1757169743,
              "id": "task-unified-1757169743-7cvnl5zw",
              "model": "kling-o1-video-edit",
              "object": "video.generation.task",
              "progress": 40,
              "status": "processing",
              "task_info": {
                "can_cancel": false,
                "estimated_time": 300
              },
              "type": "video"
            },
            "video_failed": {
              "created": 1757169743,
              "id": "task-unified-1757169743-7cvnl5zw",
              "model": "kling-o1-video-edit",
              "object": "video.generation.task",
              "progress": 0,
              "status": "failed",
              "error": {
                "code": "video_download_failed",
                "message": "The source video could not be downloaded"
              },
              "task_info": {
                "can_cancel": false
              },
              "type": "video"
            },
            "provider_example": {
              "created": 1756817821,
              "id": "task-unified-1756817821-4x3rx6ny",
              "model": "gpt-4o-image",
              "object": "image.generation.task",
              "progress": 100,
              "results": [
                "http://example.com/image.jpg"
              ],
              "status": "completed",
              "task_info": {
                "can_cancel": false
              },
              "type": "image"
            }
          }
        }
      },
      "400": {
        "description": "Invalid request parameters",
        "body": {
          "contentType": "application/json",
          "schema": "TaskQueryErrorResponse",
          "example": {
            "error": {
              "code": "invalid_task_id",
              "message": "Invalid task ID format, must start with 'task-unified-'",
              "type": "invalid_request_error",
              "param": "task_id"
            }
          }
        }
      },
      "401": {
        "description": "Unauthenticated, invalid or expired token",
        "body": {
          "contentType": "application/json",
          "schema": "ErrorResponse",
          "example": {
            "error": {
              "code": 401,
              "message": "Invalid or expired token",
              "type": "authentication_error"
            }
          }
        }
      },
      "404": {
        "description": "Task not found (inferred)",
        "body": {
          "contentType": "application/json",
          "schema": "TaskQueryErrorResponse",
          "example": {
            "error": {
              "code": 404,
              "message": "Task not found",
              "type": "not_found_error",
              "param": "task_id"
            }
          }
        }
      },
      "429": {
        "description": "Rate limit exceeded",
        "body": {
          "contentType": "application/json",
          "schema": "ErrorResponse",
          "example": {
            "error": {
              "code": 429,
              "message": "Rate limit exceeded",
              "type": "rate_limit_error",
              "fallback_suggestion": "retry after 60 seconds"
            }
          }
        }
      },
      "500": {
        "description": "Internal server error",
        "body": {
          "contentType": "application/json",
          "schema": "ErrorResponse",
          "example": {
            "error": {
              "code": 500,
              "message": "Internal server error",
              "type": "internal_server_error",
              "fallback_suggestion": "try again later"
            }
          }
        }
      },
      "502": {
        "description": "Upstream service error",
        "body": {
          "contentType": "application/json",
          "schema": "ErrorResponse",
          "example": {
            "error": {
              "code": 502,
              "message": "Upstream AI service unavailable",
              "type": "upstream_error",
              "fallback_suggestion": "try different model"
            }
          }
        }
      },
      "503": {
        "description": "Service temporarily unavailable",
        "body": {
          "contentType": "application/json",
          "schema": "ErrorResponse",
          "example": {
            "error": {
              "code": 503,
              "message": "Service temporarily unavailable",
              "type": "service_unavailable_error",
              "fallback_suggestion": "retry after 30 seconds"
            }
          }
        }
      }
    },
    "callbacks": {}
  }
} as const;
/** An operationId of the spec. */
export type OperationId = keyof typeof operations;
