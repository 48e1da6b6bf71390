with source as (select * from {{ source('raw', 'customers') }})
select
    cast(customer_id as number(38,0)) as customer_id,
    company_name,
    upper(country) as country_code,
    segment,
    lower(email) as email,
    cast(created_at as timestamp_ntz) as created_at
from source
