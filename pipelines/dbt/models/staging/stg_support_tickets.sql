with source as (select * from {{ source('raw', 'support_tickets') }})
select
    cast(ticket_id as number(38,0)) as ticket_id,
    cast(customer_id as number(38,0)) as customer_id,
    priority,
    cast(opened_at as timestamp_ntz) as opened_at,
    cast(resolved_at as timestamp_ntz) as resolved_at
from source
